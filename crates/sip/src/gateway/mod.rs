//! The SIP back-to-back user agent: carriers' calls are answered and put in
//! the switchboard's queues; offers ring consultants' registered phones;
//! the two legs are bridged through the media relay; a hang-up on either
//! side ends both.
//!
//! The switchboard's commands arrive in order on one task, which keeps the
//! per-call state; whatever waits on the network (an INVITE ringing a
//! phone or a sub-centre) runs in its own task and reports back to the
//! switchboard. This file takes requests (registrations, carriers' calls);
//! `calls.rs` carries out the engine's commands.

mod calls;
mod monitor;
mod outbound;
mod phones;
mod session;
mod softphone;
mod trunks;

use crate::config::SipConfig;
use crate::media::prompts::{Place, Programme, Prompts};
use crate::media::relay::{CallMedia, Leg, MediaStats, Monitor, Recorder, RtpPorts};
use crate::media::sdp;
use crate::registrar::Registrar;
use crate::softphone::{LineHandle, Softphones};
use hotline_app::attachments::BlobStore;
use hotline_app::calls::{
    Dial, DialOutcome, LineContext, LineStatus, MonitorMode, MonitorRefused, Phones, RecordingRef, SoftphoneAnswer, SoftphoneRefused,
    SoftphoneRequest, Switchboard, Telephony,
};
use hotline_callcentre::engine::{AgentId, CallId, Command, TransferMode};
use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::{Transaction, TransactionReceiver};
use rsipstack::transport::SipConnection;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// What a consultant's or supervisor's leg goes through: a SIP phone's
/// dialog, or the user's browser line (attached to the relay at `local`).
enum Phone {
    Sip(InviteDialog),
    Browser(LineHandle),
}

impl Phone {
    /// The SIP dialog's id, by which the gateway finds the leg's call.
    fn dialog_id(&self) -> Option<String> {
        match self {
            Self::Sip(dialog) => Some(dialog.id().to_string()),
            Self::Browser(_) => None,
        }
    }

    fn is(&self, dialog: &InviteDialog) -> bool {
        matches!(self, Self::Sip(d) if d.id() == dialog.id())
    }

    /// Ends the leg: BYE or CANCEL to a SIP phone; a browser's line stays
    /// open for the next call, only detached from this one's relay.
    async fn hang_up(self, answered: bool, local: SocketAddr) {
        match self {
            Self::Sip(dialog) => calls::end(dialog, answered).await,
            Self::Browser(line) => line.detach(local),
        }
    }
}

/// The consultant's side of a call.
struct ConsultantLeg {
    agent: AgentId,
    phone: Phone,
    answered: bool,
    /// The phone put the call on hold (a re-INVITE `sendonly`/`inactive`).
    held: bool,
    /// Our RTP address for this leg.
    local: SocketAddr,
}

/// A sub-centre's side (a transfer or a three-way call).
struct SubCentreLeg {
    dialog: InviteDialog,
    mode: TransferMode,
    answered: bool,
    local: SocketAddr,
}

/// A supervisor's phone in the call (listening, whispering, barging in).
struct SupervisorLeg {
    agent: AgentId,
    phone: Phone,
    mode: Monitor,
    answered: bool,
    local: SocketAddr,
}

struct Call {
    caller: InviteDialog,
    /// Calls ahead of the caller while waiting, for the position notice.
    place: Place,
    /// Our RTP address for the caller's leg.
    caller_local: SocketAddr,
    media: CallMedia,
    consultant: Option<ConsultantLeg>,
    sub_centre: Option<SubCentreLeg>,
    supervisor: Option<SupervisorLeg>,
    /// The engine connected the call (the phone may still ring when the
    /// consultant answered at the desk).
    bridged: bool,
    /// Transferred: the engine's call is over, caller and sub-centre talk
    /// through the relay until one of them hangs up.
    handed_over: bool,
}

#[derive(Clone, Copy, Debug)]
enum Side {
    Caller,
    Consultant,
    SubCentre,
    Supervisor,
}

#[derive(Default)]
struct State {
    calls: HashMap<CallId, Call>,
    /// Commands for a call the gateway is still registering.
    pending: HashMap<CallId, Vec<Command>>,
    dialogs: HashMap<String, (CallId, Side)>,
    /// Legs of calls placed outside the queues, told when they end.
    outbound: HashMap<String, tokio::sync::oneshot::Sender<()>>,
    /// Consultants' calls out in progress.
    dials: HashMap<AgentId, outbound::OutCall>,
    /// Legs with a session timer, by dialog.
    sessions: HashMap<String, session::Watch>,
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
    /// Recordings' content.
    blobs: Arc<dyn BlobStore>,
    /// Browsers connected as phones.
    pub(crate) softphones: Softphones,
    /// Carriers' trunks: probed, registered.
    trunks: trunks::Trunks,
    /// Stops the trunks' probes and registrations with the gateway.
    cancel: tokio_util::sync::CancellationToken,
    state: Mutex<State>,
    commands: mpsc::UnboundedSender<Command>,
}

/// What the switchboard holds: commands go in order to the gateway's task.
pub(crate) struct Lines(mpsc::UnboundedSender<Command>, Arc<Core>);

impl Telephony for Lines {
    fn execute(&self, command: &Command) {
        let _ = self.0.send(command.clone());
    }

    fn dial(&self, dial: Dial, done: tokio::sync::oneshot::Sender<DialOutcome>) {
        tokio::spawn(self.1.clone().dial_out(dial, done));
    }

    fn end_dial(&self, agent: AgentId) -> bool {
        self.1.end_dial(agent)
    }

    fn monitor(&self, call: CallId, supervisor: AgentId, mode: Option<MonitorMode>) -> Result<(), MonitorRefused> {
        self.1.monitor(call, supervisor, mode)
    }

    fn take_over(&self, call: CallId, supervisor: AgentId) -> Result<(), MonitorRefused> {
        self.1.take_over(call, supervisor)
    }

    fn softphone(
        &self,
        agent: AgentId,
        request: SoftphoneRequest,
        reply: tokio::sync::oneshot::Sender<Result<SoftphoneAnswer, SoftphoneRefused>>,
    ) {
        let core = self.1.clone();
        tokio::spawn(async move {
            let _ = reply.send(core.softphone(agent, request).await);
        });
    }

    fn status(&self) -> LineStatus {
        let quality = self.1.state().calls.iter().filter(|(_, c)| c.bridged).map(|(id, c)| (*id, c.media.quality())).collect();
        let mut phones = self.1.registrar.registered();
        phones.extend(self.1.softphones.ready());
        LineStatus { phones: Some(phones), trunks: self.1.trunks.snapshot(), quality }
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
        cancel: tokio_util::sync::CancellationToken,
    ) -> Lines {
        let (state_tx, state_rx) = dialogs.new_dialog_state_channel();
        let (commands, command_rx) = mpsc::unbounded_channel();
        let [first, last] = config.rtp_ports;
        let core = Arc::new(Core {
            registrar: Registrar::new(lines.phones.realm().to_owned()),
            ports: RtpPorts::new(media_ip, first, last),
            trunks: trunks::Trunks::new(&config),
            cancel,
            config,
            switchboard: lines.switchboard,
            phones: lines.phones,
            blobs: lines.blobs,
            dialogs,
            state_tx,
            media_ip,
            prompts,
            contact,
            stats,
            state: Mutex::default(),
            softphones: Softphones::default(),
            commands: commands.clone(),
        });
        tokio::spawn(core.clone().serve(incoming));
        tokio::spawn(core.clone().watch_dialogs(state_rx));
        tokio::spawn(core.clone().run_commands(command_rx));
        core.keep_trunks();
        tokio::spawn(core.clone().keep_bindings());
        if core.prompts.position.is_some() {
            tokio::spawn(core.clone().tell_places());
        }
        Lines(commands, core)
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
            // A node standing by for the call centre takes no new call and
            // no phone: the edge proxy's OPTIONS probe marks it down, so
            // the carrier's calls and the phones go to the owner.
            Method::Invite | Method::Register | Method::Options if !self.switchboard.is_owner() => {
                tx.reply(StatusCode::ServiceUnavailable).await
            }
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

    /// A carrier's call to one of the centre's numbers: answered at once,
    /// greeted, and queued.
    async fn invited(self: Arc<Self>, mut tx: Transaction) -> rsipstack::Result<()> {
        let Some(ip) = source_ip(&tx) else { return tx.reply(StatusCode::BadRequest).await };
        if self.config.trunk_of(ip).is_none() {
            tracing::info!(%ip, "an INVITE from an untrusted address was refused");
            return tx.reply(StatusCode::Forbidden).await;
        }
        // A trunk registered as an account gets its calls to that account
        // (sip:<account>@us): the number dialled is then in To.
        let to = tx.original.to_header().ok().and_then(|t| t.uri().ok()).and_then(|u| user_of(&u));
        let Some((dialled, queue)) =
            [user_of(&tx.original.uri), to].into_iter().flatten().find_map(|n| self.phones.queue_for(&n).map(|q| (n, q)))
        else {
            return tx.reply(StatusCode::NotFound).await;
        };
        let offer = match sdp::read(&tx.original.body) {
            Ok(offer) => offer,
            Err(e) => {
                tracing::info!(error = %e, "an INVITE's offer was not acceptable");
                return tx.reply(StatusCode::NotAcceptableHere).await;
            }
        };
        let timer = match session::negotiate(&tx.original, self.config.min_session_secs, self.config.session_secs) {
            Ok(timer) => timer,
            Err(session::TooSmall(min)) => {
                let min_se = Header::Other("Min-SE".into(), min.to_string());
                return tx.reply_with(StatusCode::SessionIntervalTooSmall, vec![min_se], None).await;
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
        let mut headers = vec![Header::ContentType("application/sdp".into())];
        headers.extend(timer.map(|t| t.headers(session::Role::Uas)).unwrap_or_default());
        if let Err(e) = dialog.accept(Some(headers), Some(answer.into_bytes())) {
            tracing::warn!(error = %e, "an INVITE could not be answered");
            return Ok(());
        }
        let call_id = Arc::new(OnceLock::new());
        let recorder = self.recorder(call_id.clone());
        let media = CallMedia::start(leg, self.stats.clone(), recorder);
        self.measure(&media, call_id.clone());
        let place = Place::default();
        media.play(Programme::Hold {
            intro: vec![self.prompts.greeting_for(&dialled)],
            music: self.prompts.music.clone(),
            notice: self.prompts.notice_for(&place),
            every: self.prompts.notice_every,
        });
        let dialog_key = dialog.id();
        let dialog_id = dialog_key.to_string();
        let mut handler = dialog.clone();
        tokio::spawn(async move {
            let _ = handler.handle(&mut tx).await;
        });
        match self.switchboard.arrive(&queue, &caller).await {
            Ok(call) => {
                let _ = call_id.set(call);
                if let Some(timer) = timer {
                    self.watch_session(dialog_key, dialog.clone(), local, timer);
                }
                let pending = {
                    let mut state = self.state();
                    state.dialogs.insert(dialog_id, (call, Side::Caller));
                    let entry = Call {
                        caller: dialog,
                        place,
                        caller_local: local,
                        media,
                        consultant: None,
                        sub_centre: None,
                        supervisor: None,
                        bridged: false,
                        handed_over: false,
                    };
                    state.calls.insert(call, entry);
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

    /// Keeps each waiting caller's place in the queue up to date, once a
    /// second, for the position notice.
    async fn tell_places(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = self.cancel.cancelled() => return,
            }
            if self.state().calls.values().all(|c| c.bridged || c.handed_over) {
                continue;
            }
            let Ok(places) = self.switchboard.places().await else { return };
            for (id, call) in &self.state().calls {
                if let Some(ahead) = places.get(id) {
                    call.place.set(*ahead);
                }
            }
        }
    }

    /// A recorder for a new call when calls are recorded; once finished,
    /// the recording goes to the attachment store and onto the call record.
    fn recorder(self: &Arc<Self>, call: Arc<OnceLock<CallId>>) -> Option<Recorder> {
        if !self.config.record {
            return None;
        }
        let dir = self.config.spool_dir.clone().unwrap_or_else(std::env::temp_dir);
        let path = dir.join(format!("hotline-call-{:016x}.wav", rand::random::<u64>()));
        let (done, finished) = tokio::sync::oneshot::channel();
        let recorder = match Recorder::create(path, done) {
            Ok(recorder) => recorder,
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "a call cannot be recorded: the spool directory is not writable");
                return None;
            }
        };
        let core = self.clone();
        tokio::spawn(async move {
            let Ok(recording) = finished.await else { return };
            if let Some(call) = call.get().copied()
                && recording.seconds > 0.0
            {
                match core.keep_recording(&recording.path).await {
                    Ok(sha256) => core.switchboard.recorded(call, RecordingRef { sha256, millis: (recording.seconds * 1000.0) as i64 }),
                    Err(e) => tracing::error!(error = %e, call = call.0, "a call's recording could not be stored"),
                }
            }
            let _ = tokio::fs::remove_file(&recording.path).await;
        });
        Some(recorder)
    }

    /// Once the call's media ends, its loss, jitter and score go onto the
    /// call record.
    fn measure(&self, media: &CallMedia, call: Arc<OnceLock<CallId>>) {
        let ended = media.when_ended();
        let switchboard = self.switchboard.clone();
        tokio::spawn(async move {
            if let Ok(quality) = ended.await
                && let Some(call) = call.get().copied()
                && quality.measured()
            {
                switchboard.measured(call, quality);
            }
        });
    }

    async fn keep_recording(&self, path: &std::path::Path) -> std::io::Result<String> {
        let bytes = tokio::fs::read(path).await?;
        let sha256 = hotline_app::attachments::sha256_hex(&bytes);
        self.blobs.put(&sha256, &bytes).await?;
        Ok(sha256)
    }
}
