//! The call centre at run time: the switchboard that runs the distribution
//! engine against telephony and the consultants' desks, the caller's
//! history on the desk (来电弹屏), transfers to sub-centres, call records and
//! figures, callback tasks, and consultants' training and certification.
//!
//! The engine itself, the figures and the staffing mathematics are in the
//! I/O-free crate `hotline-callcentre`; this module wires them to storage,
//! the clock and the desks.

mod config;
mod live;
mod ownership;
mod phones;
mod records;
mod reports;
mod simulated;
mod switchboard;
mod telephony;

pub use config::{CallCentreConfig, GENERAL_QUEUE, PROFESSIONAL_LEVEL, TelephonyKind};
pub use live::{AgentBoard, DeskEvent, LinesBoard, QueueBoard, TakenOverBoard, Wallboard};
pub use ownership::CALL_CENTRE_LEASE;
pub use phones::{
    CENTRE_NUMBER, PHONE_ROLES, Phone, PhoneBinding, Phones, REGISTER_PER_ACCOUNT_ADDRESS, REGISTER_PER_ADDRESS, phone_secret,
    queue_for_dialled,
};
pub use records::{CallInProgress, CallRow, CallStore, CallbackTask, RecordingRef, StatusChange, TransferTry};
pub use reports::{DemandCell, FigureRow, GroupBy, Ratings, Thresholds, demand_cells, demand_of, figure_rows, occupancy, to_record};
pub use simulated::{Arrival, Arrivals, CallerPlan, LineBehaviour, Load, SimulatedLines};
pub use switchboard::{DESK_GRACE, DeskLink, Switchboard, agent_of, engine_error, user_of};
pub use telephony::{
    Dial, DialOutcome, LineContext, LineStatus, Lines, MonitorMode, MonitorRefused, NoTelephony, SoftphoneAnswer, SoftphoneRefused,
    SoftphoneRequest, Telephony, TelephonyAdapter, TrunkDirection, TrunkProblem, TrunkStatus,
};

use crate::access::{CallCentreManager, CallRecordsReader, CallbackWorker, Desk, PhoneUser, Seat};
use crate::audit::Auditor;
use crate::calendar::CalendarService;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::{AppError, AppResult};
use crate::ids::IdGenerator;
use crate::ports::{AuditRecord, HotlineRecord, OrderStore, OrderSummary, OrgStore};
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use hotline_callcentre::engine::{AgentStatus, CallId, Event, TransferMode};
use hotline_callcentre::seatplan::{Demand, PlanSettings, SkillPlan, plan_skills};
use hotline_domain::{
    Affiliation, Certification, ConsultantProfile, CourseName, IntegrationMode, PhoneNumber, Reason, Role, Training, TrainingKind, UserId,
    WorkOrderNo,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The longest span one report or call list covers.
pub const MAX_REPORT_DAYS: i64 = 93;

/// What the desk shows when a call is offered (来电弹屏).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreenPop {
    pub caller: String,
    /// Whether the number could be read as a Chinese phone number; a
    /// withheld or malformed number has no history.
    pub recognised: bool,
    /// Their newest orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// How many of those are still open.
    pub open: usize,
}

/// A consultant's record with what it gives them today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsultantView {
    pub user: UserId,
    pub name: String,
    #[serde(flatten)]
    pub profile: ConsultantProfile,
    pub skills_today: BTreeMap<String, u8>,
}

impl ConsultantView {
    fn new(user: UserId, name: String, profile: ConsultantProfile, today: NaiveDate) -> Self {
        Self { user, name, skills_today: profile.skills(today), profile }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TrainingInput {
    pub kind: TrainingKind,
    #[serde(default)]
    pub skill: Option<String>,
    pub course: CourseName,
    pub completed_on: NaiveDate,
    pub passed: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CertificationInput {
    pub skill: String,
    pub level: u8,
    pub certified_on: NaiveDate,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

/// What the call centre is built from.
pub(crate) struct CallCentreParts {
    pub store: Arc<dyn CallStore>,
    pub orders: Arc<dyn OrderStore>,
    pub users: Arc<dyn OrgStore>,
    pub directory: Arc<Directory>,
    pub auditor: Arc<Auditor>,
    pub ids: Arc<IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub calendar: Arc<CalendarService>,
    pub config: CallCentreConfig,
    pub lines: Lines,
    pub blobs: Arc<dyn crate::attachments::BlobStore>,
    pub attempts: Arc<crate::attempts::Attempts>,
}

pub struct CallCentre {
    pub switchboard: Switchboard,
    /// The in-process simulator, when it is the telephony.
    simulator: Option<Arc<SimulatedLines>>,
    store: Arc<dyn CallStore>,
    /// Orders linked to calls.
    orders: Arc<dyn OrderStore>,
    /// Consultants' names and accounts.
    users: Arc<dyn OrgStore>,
    directory: Arc<Directory>,
    auditor: Arc<Auditor>,
    ids: Arc<IdGenerator>,
    clock: Arc<dyn Clock>,
    calendar: Arc<CalendarService>,
    /// Recordings' content.
    blobs: Arc<dyn crate::attachments::BlobStore>,
    /// Consultants' phones, for the telephony adapter.
    phones: Arc<Phones>,
}

/// A recording the caller may hear: made only by [`CallCentre::recording`],
/// which checked who asks; its bytes are read in parts.
#[derive(Debug)]
pub struct RecordingFile {
    sha256: String,
    /// Its length in bytes.
    pub len: u64,
}

fn unreadable(e: std::io::Error) -> AppError {
    AppError::Unavailable(format!("the recording cannot be read: {e}"))
}

/// How the lines' refusal to let a supervisor in reads as an error.
fn refusal(refused: MonitorRefused) -> AppError {
    match refused {
        MonitorRefused::NotTalking(_) | MonitorRefused::NotMonitoring(_) => AppError::not_found(refused.to_string()),
        MonitorRefused::Unsupported | MonitorRefused::NoPhone | MonitorRefused::NotJoined(_) | MonitorRefused::TakenOver(_) => {
            AppError::Conflict { message: refused.to_string(), current_version: None }
        }
    }
}

impl CallCentre {
    pub(crate) async fn start(parts: CallCentreParts) -> AppResult<Self> {
        let CallCentreParts { store, orders, users, directory, auditor, ids, clock, calendar, config, lines, blobs, attempts } = parts;
        let days = calendar.snapshot();
        let day_start = days.start_of(days.local_date(clock.now()));
        let phones = Arc::new(Phones {
            users: users.clone(),
            directory: directory.clone(),
            realm: config.phone_realm.clone(),
            attempts,
            auditor: auditor.clone(),
            bindings: store.clone(),
            clock: clock.clone(),
        });
        let switchboard = Switchboard::start(store.clone(), clock.clone(), ids.clone(), config, directory.clone(), day_start).await?;
        let simulator = match &lines {
            Lines::Simulated => Some(SimulatedLines::attach(switchboard.clone(), std::time::Duration::from_secs(1))),
            Lines::None => None,
            Lines::Network(adapter) | Lines::NetworkAndSimulator(adapter) => {
                let context = LineContext { switchboard: switchboard.clone(), phones: phones.clone(), blobs: blobs.clone() };
                switchboard.attach(adapter.attach(context));
                matches!(lines, Lines::NetworkAndSimulator(_))
                    .then(|| SimulatedLines::attach_beside(switchboard.clone(), std::time::Duration::from_secs(1)))
            }
        };
        Ok(Self { switchboard, simulator, store, orders, users, directory, auditor, ids, clock, calendar, blobs, phones })
    }

    /// Consultants' phones: registration checks and number routing.
    pub fn phones(&self) -> &Arc<Phones> {
        &self.phones
    }

    /// The in-process simulator, for placing and ending simulated calls;
    /// refused when the centre runs on real lines or none.
    pub fn simulator(&self) -> AppResult<&Arc<SimulatedLines>> {
        self.simulator.as_ref().ok_or_else(|| AppError::Conflict {
            message: "the call simulator is not running: this centre's telephony is configured otherwise (callcentre.telephony)".into(),
            current_version: None,
        })
    }

    fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&self.calendar.snapshot().time_zone()).date_naive()
    }

    fn thresholds(&self) -> Thresholds {
        let c = self.switchboard.config();
        Thresholds { answer_secs: c.answer_threshold_secs, short_abandon_secs: c.short_abandon_secs }
    }

    /// The skills the consultant's record gives them today; refused without
    /// a passed basic training, as no call could be offered.
    pub async fn desk_skills(&self, seat: &Seat) -> AppResult<BTreeMap<String, u8>> {
        let skills = self.store.consultant(seat.user()).await?.skills(self.today());
        if skills.is_empty() {
            return Err(AppError::Forbidden(
                "no passed basic training (岗前培训) is recorded for you, so no calls can be offered; ask a supervisor".into(),
            ));
        }
        Ok(skills)
    }

    /// Opens the consultant's desk with the skills their record gives them today.
    pub async fn open_desk(&self, seat: &Seat) -> AppResult<DeskLink> {
        let skills = self.desk_skills(seat).await?;
        self.switchboard.login(seat.user(), seat.name().to_owned(), skills).await
    }

    /// The caller's past orders and open cases (来电弹屏).
    pub async fn screen_pop(&self, _seat: &Seat, caller: &str) -> AppResult<ScreenPop> {
        let Ok(phone) = PhoneNumber::parse(caller) else {
            return Ok(ScreenPop { caller: caller.to_owned(), recognised: false, orders: Vec::new(), open: 0 });
        };
        let orders = self.store.caller_orders(&phone, 20).await?;
        let open = orders.iter().filter(|o| o.closed_at.is_none()).count();
        Ok(ScreenPop { caller: caller.to_owned(), recognised: true, orders, open })
    }

    /// The sub-centres (分中心) a consultant may transfer to.
    pub fn sub_centres(&self) -> Vec<HotlineRecord> {
        self.directory.snapshot().hotlines().iter().filter(|h| h.mode == IntegrationMode::SubCentre).cloned().collect()
    }

    /// The emergency services a consultant hands callers over to (110 …).
    pub fn emergency_numbers(&self) -> &[String] {
        &self.switchboard.config().emergency_numbers
    }

    /// Transfers or conferences the consultant's call to a sub-centre or
    /// an emergency service.
    pub async fn transfer(&self, seat: &Seat, call: CallId, to: &str, mode: TransferMode) -> AppResult<()> {
        let targets = self.sub_centres();
        if !targets.iter().any(|h| h.number == to) && !self.emergency_numbers().iter().any(|n| n == to) {
            let numbers: Vec<&str> =
                targets.iter().map(|h| h.number.as_str()).chain(self.emergency_numbers().iter().map(String::as_str)).collect();
            return Err(AppError::invalid(
                "to",
                format!("{to:?} is neither a sub-centre nor an emergency service; transfer to one of {}", numbers.join(", ")),
            ));
        }
        self.switchboard.event(Event::Transfer { call, agent: agent_of(seat.user()), to: to.to_owned(), mode }).await
    }

    /// Links a finished call to the work order registered for it.
    pub async fn link_order(&self, desk: &Desk, call: i64, number: &WorkOrderNo) -> AppResult<()> {
        desk.require(&[Role::Consultant, Role::Supervisor], "linking calls to work orders")?;
        let order = self.orders.order_id(number).await?.ok_or_else(|| AppError::not_found(format!("work order {number}")))?;
        let audit =
            self.auditor.record(Some(desk.user()), "call.link_order", format!("call:{call}"), serde_json::json!({ "order": number }));
        Ok(self.store.link_call(call, order, &audit).await?)
    }

    fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<()> {
        if to <= from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if to - from > Duration::days(MAX_REPORT_DAYS) {
            return Err(AppError::invalid("to", format!("a report covers at most {MAX_REPORT_DAYS} days")));
        }
        Ok(())
    }

    pub async fn calls(&self, _: &CallRecordsReader, from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<Vec<CallRow>> {
        Self::span(from, to)?;
        Ok(self.store.calls(from, to).await?)
    }

    pub async fn call(&self, _: &CallRecordsReader, id: i64) -> AppResult<CallRow> {
        self.store.call(id).await?.ok_or_else(|| AppError::not_found(format!("call {id}")))
    }

    /// A call's recording (stereo WAV: the caller left, the centre right),
    /// for those who read call records and the consultant who took the
    /// call or called the caller back (the callback is recorded on the
    /// call it answers); every play is audited: `new_play` unless the
    /// listener is seeking in one already started.
    pub async fn recording(&self, desk: &Desk, id: i64, new_play: bool) -> AppResult<RecordingFile> {
        let call = self.store.call(id).await?.ok_or_else(|| AppError::not_found(format!("call {id}")))?;
        let own = desk.has_any(&[Role::Consultant])
            && (call.agent == Some(desk.user()) || self.store.callback_done_by(id).await? == Some(desk.user()));
        if desk.call_records().is_err() && !own {
            return Err(AppError::Forbidden(
                "only supervisors, administrators, auditors and the consultant who took the call or called back may hear its recording"
                    .into(),
            ));
        }
        let recording = call.recording.ok_or_else(|| match call.recording_purged_at {
            Some(at) => AppError::not_found(format!("the recording of call {id} was deleted at {at} (past its retention)")),
            None => AppError::not_found(format!("call {id} has no recording")),
        })?;
        let len = self.blobs.len(&recording.sha256).await.map_err(unreadable)?;
        if new_play {
            self.auditor
                .append(Some(desk.user()), "call.recording.play", format!("call:{id}"), serde_json::json!({ "millis": recording.millis }))
                .await?;
        }
        Ok(RecordingFile { sha256: recording.sha256, len })
    }

    /// Up to `len` bytes of a recording from `start`: what a player seeking
    /// in an hour-long call needs, without reading the hour.
    pub async fn recording_part(&self, file: &RecordingFile, start: u64, len: u64) -> AppResult<Vec<u8>> {
        self.blobs.read_at(&file.sha256, start, len).await.map_err(unreadable)
    }

    /// Deletes recordings older than `callcentre.recording_retention_days`
    /// (none when 0); each call's record stays, marked purged. Returns how
    /// many were purged; one audit record per run that purged any.
    pub async fn purge_recordings(&self) -> AppResult<u64> {
        let days = self.switchboard.config().recording_retention_days;
        if days == 0 {
            return Ok(0);
        }
        let now = self.clock.now();
        let before = now - Duration::days(i64::from(days));
        let mut purged = 0;
        loop {
            let batch = self.store.recordings_ended_before(before, 500).await?;
            if batch.is_empty() {
                break;
            }
            for (call, recording) in batch {
                self.blobs
                    .delete(&recording.sha256)
                    .await
                    .map_err(|e| AppError::Unavailable(format!("a recording cannot be deleted: {e}")))?;
                self.store.mark_recording_purged(call, now).await?;
                purged += 1;
            }
        }
        if purged > 0 {
            let detail = serde_json::json!({ "purged": purged, "ended_before": before, "retention_days": days });
            self.auditor.append(None, "call.recording.purge", "calls", detail).await?;
        }
        Ok(purged)
    }

    /// Service levels over `[from, to)`; per agent with occupancy.
    pub async fn figures(&self, _: &CallRecordsReader, from: DateTime<Utc>, to: DateTime<Utc>, by: GroupBy) -> AppResult<Vec<FigureRow>> {
        Self::span(from, to)?;
        let calls = self.store.calls(from, to).await?;
        // A day earlier, to know each agent's status when the window opens.
        let changes = if by == GroupBy::Agent { self.store.status_changes(from - Duration::days(1), to).await? } else { Vec::new() };
        let tz = self.calendar.snapshot().time_zone();
        Ok(figure_rows(&calls, &changes, from, to, by, tz, self.thresholds()))
    }

    pub async fn status_changes(&self, _: &CallRecordsReader, from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<Vec<StatusChange>> {
        Self::span(from, to)?;
        Ok(self.store.status_changes(from, to).await?)
    }

    pub async fn open_callbacks(&self, _: &CallbackWorker) -> AppResult<Vec<CallbackTask>> {
        Ok(self.store.open_callbacks(200).await?)
    }

    pub async fn complete_callback(&self, worker: &CallbackWorker, call: i64, note: &Reason) -> AppResult<()> {
        let audit = self.auditor.record(Some(worker.user()), "call.callback_done", format!("call:{call}"), serde_json::json!({}));
        self.store.complete_callback(call, worker.user(), self.clock.now(), note.as_str(), &audit).await.map_err(|e| match e {
            crate::ports::StoreError::VersionConflict { .. } => {
                AppError::Conflict { message: format!("the callback for call {call} was already done"), current_version: None }
            }
            other => other.into(),
        })
    }

    /// Calls back the caller of an open callback task: the consultant's
    /// phone rings, then the caller's. The answer comes at once; how the
    /// call went is audited, and a connected call completes the task with
    /// a note of its length (an unanswered one leaves it open).
    pub async fn dial_callback(self: &Arc<Self>, worker: &CallbackWorker, call: i64) -> AppResult<()> {
        let task = self.store.open_callbacks(10_000).await?.into_iter().find(|t| t.call == call);
        let task = task.ok_or_else(|| AppError::not_found(format!("no open callback for call {call}")))?;
        if PhoneNumber::parse(&task.caller).is_err() {
            return Err(AppError::invalid("call", format!("the caller's number {:?} cannot be dialled", task.caller)));
        }
        // The callback's recording goes on the record of the call it answers.
        let outcome = self.switchboard.dial(worker.user(), &task.caller, Some(CallId(call as u64))).await?;
        let me = self.clone();
        let user = worker.user();
        tokio::spawn(async move {
            let outcome = outcome.await.unwrap_or(DialOutcome::Failed("the switchboard stopped".into()));
            let note = outcome.describe();
            let result = match outcome {
                DialOutcome::Connected { .. } => match Reason::parse(&note) {
                    Ok(reason) => me.complete_callback(&CallbackWorker::of(user), call, &reason).await,
                    Err(e) => Err(AppError::invalid("note", e.message)),
                },
                _ => {
                    me.auditor
                        .append(Some(user), "call.callback_attempt", format!("call:{call}"), serde_json::json!({ "outcome": note }))
                        .await
                }
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, call, "the outcome of a callback could not be recorded");
            }
        });
        Ok(())
    }

    /// The user must be a consultant of the centre.
    async fn consultant_user(&self, user: UserId) -> AppResult<String> {
        let record = self.users.user(user).await?.ok_or_else(|| AppError::not_found(format!("user {user}")))?;
        if record.affiliation != Affiliation::Centre || !record.roles.contains_any(&[Role::Consultant]) {
            return Err(AppError::invalid("user", format!("{} is not a consultant of the centre", record.username)));
        }
        Ok(record.display_name)
    }

    async fn view(&self, user: UserId, name: String) -> AppResult<ConsultantView> {
        Ok(ConsultantView::new(user, name, self.store.consultant(user).await?, self.today()))
    }

    pub async fn consultants(&self, _: &CallRecordsReader) -> AppResult<Vec<ConsultantView>> {
        let today = self.today();
        let mut views = Vec::new();
        for user in self.users.users().await? {
            if user.affiliation == Affiliation::Centre && user.roles.contains_any(&[Role::Consultant]) {
                views.push((user.id, user.display_name));
            }
        }
        let mut profiles: BTreeMap<UserId, ConsultantProfile> =
            self.store.consultants().await?.into_iter().filter_map(|p| Some((p.user?, p))).collect();
        Ok(views
            .into_iter()
            .map(|(user, name)| {
                let profile = profiles.remove(&user).unwrap_or(ConsultantProfile { user: Some(user), ..Default::default() });
                ConsultantView::new(user, name, profile, today)
            })
            .collect())
    }

    /// A consultant's record: for the call-centre's readers, or their own.
    pub async fn consultant(&self, desk: &Desk, user: UserId) -> AppResult<ConsultantView> {
        if desk.user() != user {
            desk.call_records()?;
        }
        let name = self.consultant_user(user).await?;
        self.view(user, name).await
    }

    pub async fn record_training(&self, manager: &CallCentreManager, user: UserId, input: TrainingInput) -> AppResult<ConsultantView> {
        let name = self.consultant_user(user).await?;
        let training = Training {
            id: self.ids.next(),
            kind: input.kind,
            skill: input.skill.map(|s| s.trim().to_owned()),
            course: input.course,
            completed_on: input.completed_on,
            passed: input.passed,
        };
        ConsultantProfile::check_training(&training)?;
        if let Some(skill) = &training.skill {
            self.check_skill(skill)?;
        }
        let audit = self.consultant_audit(manager, "consultant.training", user, serde_json::to_value(&training).unwrap_or_default());
        self.store.insert_training(user, &training, &audit).await?;
        self.view(user, name).await
    }

    /// Grants a professional skill: only after its training.
    pub async fn certify(&self, manager: &CallCentreManager, user: UserId, input: CertificationInput) -> AppResult<ConsultantView> {
        let name = self.consultant_user(user).await?;
        let skill = input.skill.trim().to_owned();
        self.check_skill(&skill)?;
        let certification = Certification {
            id: self.ids.next(),
            skill,
            level: input.level,
            certified_on: input.certified_on,
            expires_on: input.expires_on,
        };
        self.store.consultant(user).await?.check_certification(&certification)?;
        let audit = self.consultant_audit(manager, "consultant.certify", user, serde_json::to_value(&certification).unwrap_or_default());
        self.store.insert_certification(user, &certification, &audit).await?;
        self.view(user, name).await
    }

    /// Pairs a new consultant with a mentor (老带新), or ends the pairing.
    pub async fn set_mentor(&self, manager: &CallCentreManager, user: UserId, mentor: Option<UserId>) -> AppResult<ConsultantView> {
        let name = self.consultant_user(user).await?;
        if let Some(mentor) = mentor {
            self.consultant_user(mentor).await.map_err(|e| match e {
                AppError::Invalid(_) | AppError::NotFound(_) => AppError::invalid("mentor", format!("user {mentor} is not a consultant")),
                other => other,
            })?;
            let profile = self.store.consultant(user).await?;
            profile.check_mentor(&self.store.consultant(mentor).await?)?;
        }
        let audit = self.consultant_audit(manager, "consultant.mentor", user, serde_json::json!({ "mentor": mentor }));
        self.store.set_mentor(user, mentor, &audit).await?;
        self.view(user, name).await
    }

    fn consultant_audit(&self, manager: &CallCentreManager, action: &str, user: UserId, detail: serde_json::Value) -> AuditRecord {
        self.auditor.record(manager.user(), action, format!("user:{user}"), detail)
    }

    fn check_skill(&self, skill: &str) -> AppResult<()> {
        let org = self.directory.snapshot();
        let skills = CallCentreConfig::professional_skills(org.hotlines());
        if skills.contains(&skill) {
            Ok(())
        } else {
            Err(AppError::invalid("skill", format!("{skill:?} is not a professional seat; the skills are {}", skills.join(", "))))
        }
    }

    /// A call-centre manager sets a logged-in consultant's status (置忙,
    /// 置闲, 培训): the desk is told at once, the change is stored like the
    /// consultant's own and audited. Logging out is the consultant's, by
    /// closing the desk.
    pub async fn set_agent_status(&self, manager: &CallCentreManager, user: UserId, status: AgentStatus) -> AppResult<()> {
        if status == AgentStatus::LoggedOut {
            return Err(AppError::invalid("status", "a consultant logs out by closing the desk; set on_break instead"));
        }
        if !self.switchboard.wallboard().await?.agents.iter().any(|a| a.agent == user) {
            return Err(AppError::not_found(format!("consultant {user} is not at a desk")));
        }
        self.switchboard.event(Event::SetStatus { agent: agent_of(user), status: status.clone() }).await?;
        let detail = serde_json::json!({ "status": status });
        self.auditor.append(manager.user(), "callcentre.set_status", format!("user:{user}"), detail).await?;
        Ok(())
    }

    /// The supervisor joins a consultant's call from their own registered
    /// phone (listening, whispering, barging in), changes how, or leaves
    /// (`None`); each step audited. Only real calls on the SIP gateway.
    pub async fn monitor(&self, manager: &CallCentreManager, call: i64, mode: Option<MonitorMode>) -> AppResult<()> {
        let Some(user) = manager.user() else {
            return Err(AppError::Forbidden("listening in needs a supervisor's own phone, not the operator".into()));
        };
        let id = CallId(u64::try_from(call).map_err(|_| AppError::not_found(format!("call {call}")))?);
        let ended_call = self.switchboard.monitor(id, user, mode).await?.map_err(refusal)?;
        let action = match mode {
            Some(mode) => format!("call.monitor.{}", mode.as_str()),
            None if ended_call => "call.monitor.end".into(),
            None => "call.monitor.stop".into(),
        };
        self.auditor.append(Some(user), &action, format!("call:{call}"), serde_json::json!({})).await?;
        Ok(())
    }

    /// The supervisor listening in takes the call over (接管): the
    /// consultant's phone is hung up and they go on to after-call work,
    /// told who took over; the supervisor talks on with the caller and
    /// ends the call by leaving it. Audited.
    pub async fn take_over(&self, manager: &CallCentreManager, call: i64) -> AppResult<()> {
        let Some(user) = manager.user() else {
            return Err(AppError::Forbidden("taking a call over needs a supervisor's own phone, not the operator".into()));
        };
        let id = CallId(u64::try_from(call).map_err(|_| AppError::not_found(format!("call {call}")))?);
        let name = match self.users.user(user).await? {
            Some(record) if !record.display_name.is_empty() => record.display_name,
            Some(record) => record.username,
            None => user.to_string(),
        };
        self.switchboard.take_over(id, user, name).await?.map_err(refusal)?;
        self.auditor.append(Some(user), "call.monitor.take_over", format!("call:{call}"), serde_json::json!({})).await?;
        Ok(())
    }

    /// The user's browser as their phone: connects it (the answer to its
    /// offer), holds or resumes their call, or closes the line. Connecting
    /// a line and closing it are audited; a browser negotiating again
    /// behind its open line (every few seconds while its network is down)
    /// and holding are not.
    pub async fn softphone(&self, user: &PhoneUser, request: SoftphoneRequest) -> AppResult<Option<String>> {
        let closing = request == SoftphoneRequest::Close;
        let answer = self.switchboard.softphone(user.user(), request).await?.map_err(|refused| match refused {
            SoftphoneRefused::Offer(_) => AppError::invalid("sdp", refused.to_string()),
            SoftphoneRefused::NotConnected | SoftphoneRefused::NotTalking => AppError::not_found(refused.to_string()),
            SoftphoneRefused::Unsupported => AppError::Conflict { message: refused.to_string(), current_version: None },
            SoftphoneRefused::Busy(_) => AppError::Unavailable(refused.to_string()),
        })?;
        let (action, sdp) = match answer {
            SoftphoneAnswer::Sdp { sdp, again } => ((!again).then_some("softphone.connect"), Some(sdp)),
            SoftphoneAnswer::Done => (closing.then_some("softphone.close"), None),
        };
        if let Some(action) = action {
            self.auditor.append(Some(user.user()), action, format!("user:{}", user.user()), serde_json::json!({})).await?;
        }
        Ok(sdp)
    }

    /// The seat plan from the calls of the last `weeks` weeks, for the
    /// call-centre managers' screen.
    pub async fn seat_plan(
        &self,
        _manager: &CallCentreManager,
        weeks: u32,
        default_aht_secs: f64,
        settings: &PlanSettings,
    ) -> AppResult<Vec<SkillPlan>> {
        let demands = self.seat_demand(weeks, default_aht_secs).await?;
        Ok(plan_skills(&demands, settings)?)
    }

    /// Calls per skill and half-hour of the week over the last `weeks`
    /// weeks of stored calls, for the seat plan.
    pub async fn seat_demand(&self, weeks: u32, default_aht_secs: f64) -> AppResult<Vec<Demand>> {
        if !(1..=13).contains(&weeks) {
            return Err(AppError::invalid("weeks", "must be between 1 and 13"));
        }
        let to = self.clock.now();
        // Counted in the database: a month of a busy centre is half a million calls.
        // The hotline's offset now serves the whole span (China keeps no summer time).
        let tz = self.calendar.snapshot().time_zone();
        let offset = tz.offset_from_utc_datetime(&to.naive_utc()).fix().local_minus_utc();
        let short = self.switchboard.config().short_abandon_secs;
        let cells = self.store.call_demand(to - Duration::weeks(i64::from(weeks)), to, offset, short).await?;
        Ok(demand_of(cells, weeks, default_aht_secs))
    }
}
