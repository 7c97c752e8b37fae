//! What the call centre's records answer, as the API documents it: field
//! for field the application's rows, converted here.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_app::calls::{
    CallRow, CallbackTask, ConsultantView, FigureRow, StatusChange, TrunkDirection, TrunkProblem, TrunkStatus, Wallboard,
};
use hotline_callcentre::engine::{AgentStatus, Outcome, TransferResult};
use hotline_callcentre::quality::{CallQuality, LegQuality, POOR_MOS};
use hotline_callcentre::stats::Figures;
use hotline_domain::{OrderId, Satisfaction, TrainingKind, UserId};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn text<S: serde::Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    hotline_domain::ids::id_text(id, s)
}

/// One finished call (话单).
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    pub queue: String,
    /// The number as telephony gave it (may be withheld or a landline).
    pub caller: String,
    #[schema(value_type = Option<String>)]
    pub agent: Option<UserId>,
    pub arrived_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// `answered`, `transferred`, `abandoned`, `callback` (promised when
    /// the queue was full or the wait too long) or `lost` (the node
    /// carrying it stopped).
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// The sub-centre a transfer or three-way call was tried with.
    pub transfer_to: Option<String>,
    /// `answered`, `busy` or `no_answer`.
    #[schema(value_type = Option<String>)]
    pub transfer_result: Option<TransferResult>,
    /// Every transfer tried, in order, each with how it went (`busy`,
    /// `no_answer`, `failed`, `connected`; `null` while it rang).
    pub transfers: Vec<TransferTryDto>,
    /// After-call work, in seconds.
    pub wrap_up_secs: i64,
    /// The work order registered for it or linked to it.
    #[schema(value_type = Option<String>)]
    pub order: Option<OrderId>,
    /// The caller's keypad rating: `satisfied`, `basically_satisfied`,
    /// `unsatisfied`; `null`: not rated.
    #[schema(value_type = Option<String>)]
    pub satisfaction: Option<Satisfaction>,
    /// Length of the call's recording in seconds; `null`: not recorded
    /// (simulated calls, or recording off). Played at `…/recording`.
    pub recording_secs: Option<f64>,
    /// When the retention purge deleted the recording.
    pub recording_purged_at: Option<DateTime<Utc>>,
    /// The supervisor who took the call over from `agent` (接管) and
    /// talked with the caller to its end; `null`: nobody did.
    #[schema(value_type = Option<String>)]
    pub taken_over_by: Option<UserId>,
    /// How the call sounded; `null` where the lines did not measure it
    /// (simulated calls).
    pub quality: Option<QualityDto>,
}

/// How a call sounds: what the server received from each side, and an
/// estimated mean opinion score (E-model, ITU-T G.107, for G.711; the
/// network's own delay is not measured).
#[derive(Debug, Serialize, ToSchema)]
pub struct QualityDto {
    /// The call's score, the worse side's (1–4.5); `null` below a second
    /// of audio.
    pub mos: Option<f64>,
    /// Below 3.1 (many listeners dissatisfied).
    pub poor: bool,
    pub caller: SideQualityDto,
    pub consultant: SideQualityDto,
}

/// What arrived from one side of a call.
#[derive(Debug, Serialize, ToSchema)]
pub struct SideQualityDto {
    /// Audio packets received.
    pub packets: u64,
    /// Packets sent and never received.
    pub lost: u64,
    /// Lost packets as a percentage of those sent.
    pub loss_percent: f64,
    /// Interarrival jitter (RFC 3550), in milliseconds.
    pub jitter_ms: f64,
    /// This side's score; `null` below a second of audio.
    pub mos: Option<f64>,
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

impl From<LegQuality> for SideQualityDto {
    fn from(q: LegQuality) -> Self {
        Self {
            packets: q.packets,
            lost: q.lost,
            loss_percent: round(q.loss() * 100.0, 2),
            jitter_ms: round(q.jitter_ms, 1),
            mos: q.mos().map(|m| round(m, 2)),
        }
    }
}

impl From<CallQuality> for QualityDto {
    fn from(q: CallQuality) -> Self {
        let mos = q.mos();
        Self {
            mos: mos.map(|m| round(m, 2)),
            poor: mos.is_some_and(|m| m < POOR_MOS),
            caller: q.caller.into(),
            consultant: q.consultant.into(),
        }
    }
}

/// One transfer tried during a call.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferTryDto {
    pub to: String,
    #[schema(value_type = Option<String>)]
    pub result: Option<TransferResult>,
}

impl From<CallRow> for CallDto {
    fn from(c: CallRow) -> Self {
        Self {
            id: c.id,
            queue: c.queue,
            caller: c.caller,
            agent: c.agent,
            arrived_at: c.arrived_at,
            answered_at: c.answered_at,
            ended_at: c.ended_at,
            outcome: c.outcome,
            transfer_to: c.transfer_to,
            transfer_result: c.transfer_result,
            transfers: c.transfers.into_iter().map(|t| TransferTryDto { to: t.to, result: t.result }).collect(),
            wrap_up_secs: c.wrap_up_secs,
            order: c.order,
            recording_secs: c.recording.map(|r| r.millis as f64 / 1000.0),
            recording_purged_at: c.recording_purged_at,
            taken_over_by: c.taken_over_by,
            satisfaction: c.satisfaction,
            quality: c.quality.map(Into::into),
        }
    }
}

/// A caller to ring back (回拨任务).
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub call: i64,
    pub caller: String,
    pub queue: String,
    /// Why the caller is owed a call: `abandoned`, `callback` or `lost`.
    #[schema(value_type = String)]
    pub outcome: Outcome,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>)]
    pub done_by: Option<UserId>,
    pub note: Option<String>,
}

impl From<CallbackTask> for CallbackDto {
    fn from(c: CallbackTask) -> Self {
        Self {
            call: c.call,
            caller: c.caller,
            queue: c.queue,
            outcome: c.outcome,
            created_at: c.created_at,
            done_at: c.done_at,
            done_by: c.done_by,
            note: c.note,
        }
    }
}

/// Service-level figures of a group of calls (接通率, 服务水平 …).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresDto {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Hung up within the short-abandon limit: not counted as offered.
    pub short_abandons: u64,
    pub callbacks: u64,
    /// Lost with the node that carried them (it stopped): not counted as
    /// offered; each has a callback task.
    pub lost: u64,
    pub connection_rate: f64,
    /// Answered within the threshold, of offered.
    pub answered_within_share: f64,
    pub sl: f64,
    pub sl2: f64,
    pub asa_secs: f64,
    pub mean_talk_secs: f64,
    pub abandonment_rate: f64,
    /// Offered calls that waited at all, of offered.
    pub waited_share: f64,
}

impl From<Figures> for FiguresDto {
    fn from(f: Figures) -> Self {
        Self {
            offered: f.offered,
            answered: f.answered,
            abandoned: f.abandoned,
            short_abandons: f.short_abandons,
            callbacks: f.callbacks,
            lost: f.lost,
            connection_rate: f.connection_rate,
            answered_within_share: f.answered_within_share,
            sl: f.sl,
            sl2: f.sl2,
            asa_secs: f.asa_secs,
            mean_talk_secs: f.mean_talk_secs,
            abandonment_rate: f.abandonment_rate,
            waited_share: f.waited_share,
        }
    }
}

/// One row of a service-level report.
#[derive(Debug, Serialize, ToSchema)]
pub struct FigureRowDto {
    /// The queue, the agent's user id, the half-hour's local start, or `total`.
    pub key: String,
    #[serde(flatten)]
    pub figures: FiguresDto,
    pub mean_wrap_up_secs: f64,
    /// Per agent: handling time over time available.
    pub occupancy: Option<f64>,
    /// Callers' keypad ratings after the consultant hung up.
    pub rated: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    /// Satisfied and basically satisfied over all ratings; `null` without ratings.
    pub satisfaction_rate: Option<f64>,
    /// Calls whose sound the lines measured (SIP calls, not simulated ones).
    pub measured: u64,
    /// Their mean score (MOS, each call the worse side's); `null` without
    /// a measured call.
    pub mean_mos: Option<f64>,
    /// Measured calls scored below 3.1.
    pub poor_calls: u64,
    /// Calls a supervisor took over from their consultant (接管).
    pub taken_over: u64,
}

impl From<FigureRow> for FigureRowDto {
    fn from(r: FigureRow) -> Self {
        Self {
            key: r.key,
            figures: r.figures.into(),
            mean_wrap_up_secs: r.mean_wrap_up_secs,
            occupancy: r.occupancy,
            rated: r.ratings.rated(),
            satisfied: r.ratings.satisfied,
            basically_satisfied: r.ratings.basically_satisfied,
            unsatisfied: r.ratings.unsatisfied,
            satisfaction_rate: r.ratings.rate(),
            measured: r.sound.measured,
            mean_mos: r.sound.mean_mos.map(|m| round(m, 2)),
            poor_calls: r.sound.poor,
            taken_over: r.taken_over,
        }
    }
}

/// An agent's status as two fields: `status` (`logged_out`, `available`,
/// `on_break`, `in_training`) and, on a break, its `reason`.
fn status_parts(status: AgentStatus) -> (String, Option<String>) {
    match status {
        AgentStatus::LoggedOut => ("logged_out".into(), None),
        AgentStatus::Available => ("available".into(), None),
        AgentStatus::OnBreak(reason) => ("on_break".into(), Some(reason)),
        AgentStatus::InTraining => ("in_training".into(), None),
    }
}

/// An agent's status from `at` on (状态记录).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeDto {
    #[schema(value_type = String)]
    pub agent: UserId,
    pub at: DateTime<Utc>,
    /// `logged_out`, `available`, `on_break` or `in_training`.
    pub status: String,
    /// Why, on a break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<StatusChange> for StatusChangeDto {
    fn from(c: StatusChange) -> Self {
        let (status, reason) = status_parts(c.status);
        Self { agent: c.agent, at: c.at, status, reason }
    }
}

/// The centre now, for the wallboard (大屏/监控墙).
#[derive(Debug, Serialize, ToSchema)]
pub struct WallboardDto {
    pub at: DateTime<Utc>,
    /// Today's figures over every queue.
    pub today: FiguresDto,
    pub queues: Vec<QueueBoardDto>,
    pub agents: Vec<AgentBoardDto>,
    /// Calls supervisors took over (接管) and still talk on.
    pub taken_over: Vec<TakenOverBoardDto>,
    pub lines: LinesBoardDto,
}

/// A call a supervisor took over from its consultant and talks on.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakenOverBoardDto {
    pub call: String,
    /// The supervisor's user id; they end the call by leaving it
    /// (`DELETE …/calls/{id}/monitor`).
    #[schema(value_type = String)]
    pub supervisor: UserId,
    pub name: String,
    /// The consultant who answered the call and left it.
    pub consultant: String,
    /// The caller's number as telephony gave it.
    pub caller: String,
    /// When the consultant answered the caller.
    pub answered_at: DateTime<Utc>,
    /// How the call sounds so far; null when not measured.
    pub quality: Option<QualityDto>,
}

/// The telephone side: phones registered and the carriers' trunks.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinesBoardDto {
    /// Phones registered now; null on lines without phones (the simulator).
    pub phones_registered: Option<usize>,
    pub trunks: Vec<TrunkStatusDto>,
}

/// A carrier's trunk: reachable (answers OPTIONS) and registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrunkStatusDto {
    pub name: String,
    /// `inbound` (calls to the centre) or `outbound` (transfers, callbacks).
    pub direction: String,
    /// Null: not probed, or no answer awaited yet.
    pub reachable: Option<bool>,
    /// Null: the trunk does not register with the carrier.
    pub registered: Option<bool>,
    /// What went wrong last, while down or unregistered.
    pub problem: Option<TrunkProblemDto>,
    /// When `reachable` or `registered` last changed.
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrunkProblemDto {
    /// `no_answer`, `refused` or `unreachable`.
    pub code: String,
    /// The carrier's SIP status, when it refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl From<TrunkStatus> for TrunkStatusDto {
    fn from(t: TrunkStatus) -> Self {
        let problem = t.problem.map(|p| match p {
            TrunkProblem::NoAnswer => TrunkProblemDto { code: "no_answer".into(), status: None },
            TrunkProblem::Refused { status } => TrunkProblemDto { code: "refused".into(), status: Some(status) },
            TrunkProblem::Unreachable => TrunkProblemDto { code: "unreachable".into(), status: None },
        });
        let direction = match t.direction {
            TrunkDirection::Inbound => "inbound",
            TrunkDirection::Outbound => "outbound",
        };
        Self { name: t.name, direction: direction.into(), reachable: t.reachable, registered: t.registered, problem, since: t.since }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueBoardDto {
    pub name: String,
    pub waiting: usize,
    /// How long the call waiting longest has waited.
    pub longest_wait_secs: f64,
    pub today: FiguresDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentBoardDto {
    #[schema(value_type = String)]
    pub agent: UserId,
    pub name: String,
    /// `logged_out`, `available`, `on_break` or `in_training`.
    pub status: String,
    /// Why, on a break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `idle`, `ringing`, `talking` or `wrap_up`.
    pub state: String,
    /// The call ringing or in conversation.
    pub call: Option<String>,
    /// Calls answered today.
    pub answered_today: u64,
    /// Whether the consultant's SIP phone is registered; null on lines
    /// without phones (the simulator).
    pub phone_registered: Option<bool>,
    /// How the call in conversation sounds so far (updated each second);
    /// null when not talking or not measured.
    pub quality: Option<QualityDto>,
}

impl From<Wallboard> for WallboardDto {
    fn from(w: Wallboard) -> Self {
        Self {
            at: w.at,
            today: w.today.into(),
            queues: w
                .queues
                .into_iter()
                .map(|q| QueueBoardDto { name: q.name, waiting: q.waiting, longest_wait_secs: q.longest_wait_secs, today: q.today.into() })
                .collect(),
            agents: w
                .agents
                .into_iter()
                .map(|a| {
                    let (status, reason) = status_parts(a.status);
                    AgentBoardDto {
                        agent: a.agent,
                        name: a.name,
                        status,
                        reason,
                        state: a.state.to_owned(),
                        call: a.call,
                        answered_today: a.answered_today,
                        phone_registered: a.phone_registered,
                        quality: a.quality.map(Into::into),
                    }
                })
                .collect(),
            taken_over: w
                .taken_over
                .into_iter()
                .map(|t| TakenOverBoardDto {
                    call: t.call,
                    supervisor: t.supervisor,
                    name: t.name,
                    consultant: t.consultant,
                    caller: t.caller,
                    answered_at: t.answered_at,
                    quality: t.quality.map(Into::into),
                })
                .collect(),
            lines: LinesBoardDto {
                phones_registered: w.lines.phones_registered,
                trunks: w.lines.trunks.into_iter().map(Into::into).collect(),
            },
        }
    }
}

/// A training a consultant took.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    /// `basic` or `professional`.
    #[schema(value_type = String)]
    pub kind: TrainingKind,
    /// The skill of a professional training.
    pub skill: Option<String>,
    pub course: String,
    pub completed_on: NaiveDate,
    pub passed: bool,
}

/// A certification for a professional skill.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificationDto {
    #[serde(serialize_with = "text")]
    #[schema(value_type = String)]
    pub id: i64,
    pub skill: String,
    /// 1–10: 5 and above take the skill's calls at once.
    pub level: u8,
    pub certified_on: NaiveDate,
    /// The day it ends (exclusive); none: it does not expire.
    pub expires_on: Option<NaiveDate>,
}

/// A consultant's record with the skills it gives them today.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsultantDto {
    #[schema(value_type = String)]
    pub user: UserId,
    pub name: String,
    /// The experienced consultant they learn from (师傅).
    #[schema(value_type = Option<String>)]
    pub mentor: Option<UserId>,
    pub trainings: Vec<TrainingDto>,
    pub certifications: Vec<CertificationDto>,
    /// Skill → level they may take calls for today.
    pub skills_today: BTreeMap<String, u8>,
}

impl From<ConsultantView> for ConsultantDto {
    fn from(v: ConsultantView) -> Self {
        let p = v.profile;
        Self {
            user: v.user,
            name: v.name,
            mentor: p.mentor,
            trainings: p
                .trainings
                .into_iter()
                .map(|t| TrainingDto {
                    id: t.id,
                    kind: t.kind,
                    skill: t.skill,
                    course: t.course.to_string(),
                    completed_on: t.completed_on,
                    passed: t.passed,
                })
                .collect(),
            certifications: p
                .certifications
                .into_iter()
                .map(|c| CertificationDto {
                    id: c.id,
                    skill: c.skill,
                    level: c.level,
                    certified_on: c.certified_on,
                    expires_on: c.expires_on,
                })
                .collect(),
            skills_today: v.skills_today,
        }
    }
}

/// Agents needed for a service level, or how a number of agents does
/// (Erlang C, or Erlang A with a patience).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffingDto {
    /// Agents on the phones.
    pub agents: u32,
    /// Probability that a call waits at all.
    pub p_wait: f64,
    /// Share of calls answered within the target time.
    pub service_level: f64,
    /// Average speed of answer, in seconds.
    pub asa_secs: f64,
    /// Share of the agents' time spent on calls.
    pub occupancy: f64,
    /// Share of calls abandoned (Erlang A only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_abandon: Option<f64>,
    /// Agents to roster after shrinkage.
    pub scheduled_agents: u32,
    /// Offered load in Erlangs.
    pub load: f64,
}

impl From<hotline_callcentre::staffing::Answer> for StaffingDto {
    fn from(a: hotline_callcentre::staffing::Answer) -> Self {
        let e = a.evaluation;
        Self {
            agents: e.agents,
            p_wait: e.p_wait,
            service_level: e.service_level,
            asa_secs: e.asa_secs,
            occupancy: e.occupancy,
            p_abandon: e.p_abandon,
            scheduled_agents: a.scheduled_agents,
            load: a.load,
        }
    }
}
