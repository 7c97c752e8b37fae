//! The call centre: the wallboard and its live feed, call records and
//! service-level figures, callback tasks, the caller's history, consultants'
//! records, and the in-process call simulator.

use super::{Handled, Json, id, instant};
use crate::dto::all;
use crate::dto::calls::{CallDto, CallbackDto, ConsultantDto, FigureRowDto, StatusChangeDto, WallboardDto};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AsCallCentreManager, AsCallbackWorker};
use crate::extract::{Caller, JsonBody, order_number};
use crate::extract::{Path, Query};
use crate::range::Wanted;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use chrono::{DateTime, Duration, Utc};
use futures_util::stream::{self, Stream};
use hotline_app::App;
use hotline_app::access::Desk;
use hotline_app::calls::{CallerPlan, GroupBy, LineBehaviour, MonitorMode};
use hotline_callcentre::engine::CallId;
use hotline_domain::{FieldError, Reason, UserId, ValidationErrors};
use serde::Deserialize;
use std::convert::Infallible;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    /// RFC 3339; default: the start of today (local).
    pub from: Option<String>,
    /// RFC 3339; default: now.
    pub to: Option<String>,
    /// total (default), queue, agent or half_hour.
    pub by: Option<String>,
}

fn range(app: &App, q: &RangeQuery) -> Result<(DateTime<Utc>, DateTime<Utc>), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let now = app.clock.now();
    let days = app.calendar.snapshot();
    let from = match q.from.as_deref() {
        Some(raw) => errors.collect(instant("from", raw)),
        None => Some(days.start_of(days.local_date(now))),
    };
    let to = match q.to.as_deref() {
        Some(raw) => errors.collect(instant("to", raw)),
        None => Some(now + Duration::seconds(1)),
    };
    errors.into_result()?;
    Ok((from.unwrap_or(now), to.unwrap_or(now)))
}

/// Supervisors and consultants both watch the wallboard.
fn wallboard_viewer(desk: &Desk) -> ApiResult<()> {
    if desk.seat().is_ok() {
        return Ok(());
    }
    desk.call_records()?;
    Ok(())
}

/// Queues, agents and today's figures now.
#[utoipa::path(get, path = "/api/v1/callcentre/wallboard", tag = "call centre", security(("bearer" = [])),
    responses((status = 200, body = WallboardDto)))]
pub async fn wallboard(State(app): State<App>, Caller(desk): Caller) -> Handled<WallboardDto> {
    wallboard_viewer(&desk)?;
    Ok(Json(app.calls.switchboard.wallboard().await?.into()))
}

/// The wallboard as server-sent events, one `wallboard` event a second.
#[utoipa::path(get, path = "/api/v1/callcentre/wallboard/stream", tag = "call centre", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of wallboard snapshots")))]
pub async fn wallboard_stream(
    State(app): State<App>,
    Caller(desk): Caller,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    wallboard_viewer(&desk)?;
    let switchboard = app.calls.switchboard.clone();
    let stream = stream::unfold((switchboard, true), |(switchboard, first)| async move {
        if !first {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        // The documented shape, as `GET …/wallboard` answers it.
        let board = WallboardDto::from(switchboard.wallboard().await.ok()?);
        let event = SseEvent::default().event("wallboard").json_data(&board).unwrap_or_else(|_| SseEvent::default());
        Some((Ok(event), (switchboard, false)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Calls that arrived in a span (at most 93 days), oldest first.
#[utoipa::path(get, path = "/api/v1/callcentre/calls", tag = "call centre", params(RangeQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<CallDto>), (status = 422, description = "a bad time or span")))]
pub async fn calls(State(app): State<App>, Caller(desk): Caller, Query(q): Query<RangeQuery>) -> Handled<Vec<CallDto>> {
    let reader = desk.call_records()?;
    let (from, to) = range(&app, &q)?;
    Ok(Json(all(app.calls.calls(&reader, from, to).await?)))
}

#[utoipa::path(get, path = "/api/v1/callcentre/calls/{id}", tag = "call centre", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallDto), (status = 404, description = "no such call")))]
pub async fn call(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<CallDto> {
    let reader = desk.call_records()?;
    Ok(Json(app.calls.call(&reader, id("id", &raw)?).await?.into()))
}

/// The most of a recording one ranged answer carries.
const RECORDING_PART: u64 = 1 << 20;

/// A call's recording as a stereo WAV (the caller left, the centre right),
/// for supervisors, administrators, auditors and the consultant who took
/// the call. A `Range` of bytes is answered 206 (the player seeking);
/// every play from the start is audited, seeks within it are not. A part
/// is at most 1 MiB (about half a minute): a player asking for the rest
/// from where it is gets that much and asks again.
#[utoipa::path(get, path = "/api/v1/callcentre/calls/{id}/recording", tag = "call centre", security(("bearer" = [])),
    params(("id" = String, Path), ("Range" = Option<String>, Header, description = "bytes=start-end, one range")),
    responses((status = 200, description = "audio/wav"), (status = 206, description = "the part of the audio/wav asked for"),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "no such call, or not recorded"),
    (status = 416, description = "the range lies past the recording's end")))]
pub async fn recording(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(raw): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<axum::response::Response> {
    let call = id("id", &raw)?;
    // Whether the range starts at 0 does not depend on the length.
    let new_play = Wanted::of(&headers, u64::MAX).from_start();
    let file = app.calls.recording(&desk, call, new_play).await?;
    let wanted = Wanted::of(&headers, file.len).at_most(RECORDING_PART);
    let body = match wanted.bytes(file.len) {
        Some((start, len)) => app.calls.recording_part(&file, start, len).await?,
        None => Vec::new(),
    };
    let disposition = format!("inline; filename=\"call-{call}.wav\"");
    Ok(wanted.respond(vec![(header::CONTENT_TYPE, "audio/wav".to_owned()), (header::CONTENT_DISPOSITION, disposition)], file.len, body))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LinkOrderBody {
    /// The work order's number, e.g. DG20261128000123.
    pub number: String,
}

/// Links a call to the work order registered for it.
#[utoipa::path(post, path = "/api/v1/callcentre/calls/{id}/order", tag = "call centre", security(("bearer" = [])), request_body = LinkOrderBody,
    params(("id" = String, Path)), responses((status = 204, description = "linked"), (status = 404, description = "no such call or order")))]
pub async fn link_order(
    State(app): State<App>,
    Caller(desk): Caller,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<LinkOrderBody>,
) -> ApiResult<StatusCode> {
    let call = id("id", &raw)?;
    app.calls.link_order(&desk, call, &order_number(&body.number)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Service levels per queue, agent (with occupancy) or half-hour.
#[utoipa::path(get, path = "/api/v1/callcentre/figures", tag = "call centre", params(RangeQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<FigureRowDto>), (status = 422, description = "a bad time, span or grouping")))]
pub async fn figures(State(app): State<App>, Caller(desk): Caller, Query(q): Query<RangeQuery>) -> Handled<Vec<FigureRowDto>> {
    let reader = desk.call_records()?;
    let by = match q.by.as_deref() {
        None => GroupBy::Total,
        Some(raw) => GroupBy::parse(raw).ok_or_else(|| FieldError::new("by", "must be total, queue, agent or half_hour"))?,
    };
    let (from, to) = range(&app, &q)?;
    Ok(Json(all(app.calls.figures(&reader, from, to, by).await?)))
}

/// Agents' status changes in a span (状态记录).
#[utoipa::path(get, path = "/api/v1/callcentre/status-changes", tag = "call centre", params(RangeQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<StatusChangeDto>)))]
pub async fn status_changes(State(app): State<App>, Caller(desk): Caller, Query(q): Query<RangeQuery>) -> Handled<Vec<StatusChangeDto>> {
    let reader = desk.call_records()?;
    let (from, to) = range(&app, &q)?;
    Ok(Json(all(app.calls.status_changes(&reader, from, to).await?)))
}

/// Callers to ring back, oldest first.
#[utoipa::path(get, path = "/api/v1/callcentre/callbacks", tag = "call centre", security(("bearer" = [])),
    responses((status = 200, body = Vec<CallbackDto>)))]
pub async fn callbacks(State(app): State<App>, Caller(desk): Caller) -> Handled<Vec<CallbackDto>> {
    let worker = desk.callback_worker()?;
    Ok(Json(all(app.calls.open_callbacks(&worker).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CallbackDoneBody {
    /// What came of the callback.
    #[schema(value_type = String, max_length = 500)]
    pub note: Reason,
}

#[utoipa::path(post, path = "/api/v1/callcentre/callbacks/{call}/done", tag = "call centre", security(("bearer" = [])), request_body = CallbackDoneBody,
    params(("call" = String, Path)),
    responses((status = 204, description = "done"), (status = 404, description = "no such task"), (status = 409, description = "already done")))]
pub async fn callback_done(
    State(app): State<App>,
    AsCallbackWorker(_desk, worker): AsCallbackWorker,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<CallbackDoneBody>,
) -> ApiResult<StatusCode> {
    app.calls.complete_callback(&worker, id("call", &raw)?, &body.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Calls the caller of an open callback task back: the consultant's phone
/// rings, then the caller's, through the SIP gateway's outbound trunk.
/// Accepted at once; a connected call completes the task with its length,
/// an unanswered one leaves it open (both audited).
#[utoipa::path(post, path = "/api/v1/callcentre/callbacks/{call}/dial", tag = "call centre", security(("bearer" = [])),
    params(("call" = String, Path)),
    responses((status = 202, description = "dialling"), (status = 404, body = ErrorBody, description = "no open task"),
    (status = 409, body = ErrorBody, description = "not at the desk, or on a call")))]
pub async fn callback_dial(
    State(app): State<App>,
    AsCallbackWorker(_desk, worker): AsCallbackWorker,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    app.calls.dial_callback(&worker, id("call", &raw)?).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The sub-centres a consultant may transfer to.
#[utoipa::path(get, path = "/api/v1/callcentre/sub-centres", tag = "call centre", security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::dto::org::HotlineDto>)))]
pub async fn sub_centres(State(app): State<App>, Caller(desk): Caller) -> Handled<Vec<crate::dto::org::HotlineDto>> {
    desk.seat()?;
    let org = app.directory.snapshot();
    Ok(Json(app.calls.sub_centres().into_iter().map(|h| crate::dto::org::HotlineDto::of(h, &org)).collect()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScreenPopQuery {
    pub caller: Option<String>,
}

/// A caller's past orders and open cases (来电弹屏).
#[utoipa::path(get, path = "/api/v1/callcentre/screen-pop", tag = "call centre", params(ScreenPopQuery), security(("bearer" = [])),
    responses((status = 200, body = ScreenPopDto)))]
pub async fn screen_pop(State(app): State<App>, Caller(desk): Caller, Query(q): Query<ScreenPopQuery>) -> Handled<ScreenPopDto> {
    let seat = desk.seat()?;
    let caller = q.caller.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let caller = caller.ok_or_else(|| FieldError::new("caller", "is required: the number that called"))?;
    let pop = app.calls.screen_pop(&seat, caller).await?;
    let count = pop.orders.len() as u32;
    let orders = super::orders::summaries(&app, pop.orders, count.saturating_add(1)).items;
    Ok(Json(ScreenPopDto { caller: pop.caller, recognised: pop.recognised, orders, open: pop.open }))
}

/// What the desk shows when a call is offered (来电弹屏).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScreenPopDto {
    pub caller: String,
    /// Whether the number reads as a Chinese phone number; a withheld or malformed one has no history.
    pub recognised: bool,
    /// Their newest orders, newest first.
    pub orders: Vec<crate::dto::orders::OrderSummaryDto>,
    /// How many of those are still open.
    pub open: usize,
}

fn user_id(raw: &str) -> Result<UserId, FieldError> {
    id("user", raw).map(UserId)
}

/// Consultants with their training, certifications, mentor and skills today.
#[utoipa::path(get, path = "/api/v1/consultants", tag = "call centre", security(("bearer" = [])),
    responses((status = 200, body = Vec<ConsultantDto>)))]
pub async fn consultants(State(app): State<App>, Caller(desk): Caller) -> Handled<Vec<ConsultantDto>> {
    let reader = desk.call_records()?;
    Ok(Json(all(app.calls.consultants(&reader).await?)))
}

#[utoipa::path(get, path = "/api/v1/consultants/{user}", tag = "call centre", security(("bearer" = [])),
    params(("user" = String, Path)), responses((status = 200, body = ConsultantDto)))]
pub async fn consultant(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> Handled<ConsultantDto> {
    Ok(Json(app.calls.consultant(&desk, user_id(&raw)?).await?.into()))
}

/// Records a training (basic, or professional for a skill).
#[utoipa::path(post, path = "/api/v1/consultants/{user}/trainings", tag = "call centre", security(("bearer" = [])), request_body = crate::dto::inputs::TrainingBody,
    params(("user" = String, Path)), responses((status = 200, body = ConsultantDto), (status = 422, description = "invalid")))]
pub async fn add_training(
    State(app): State<App>,
    AsCallCentreManager(_desk, manager): AsCallCentreManager,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<crate::dto::inputs::TrainingBody>,
) -> Handled<ConsultantDto> {
    Ok(Json(app.calls.record_training(&manager, user_id(&raw)?, body.into()).await?.into()))
}

/// Certifies a consultant for a professional skill.
#[utoipa::path(post, path = "/api/v1/consultants/{user}/certifications", tag = "call centre", security(("bearer" = [])), request_body = crate::dto::inputs::CertificationBody,
    params(("user" = String, Path)), responses((status = 200, body = ConsultantDto), (status = 422, description = "not trained")))]
pub async fn certify(
    State(app): State<App>,
    AsCallCentreManager(_desk, manager): AsCallCentreManager,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<crate::dto::inputs::CertificationBody>,
) -> Handled<ConsultantDto> {
    Ok(Json(app.calls.certify(&manager, user_id(&raw)?, body.into()).await?.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AgentStatusBody {
    /// available, on_break or in_training.
    pub status: String,
    /// Needed for on_break (at most 50 characters).
    pub reason: Option<String>,
}

/// Sets a logged-in consultant's status (置忙, 置闲) from the managers' screen.
#[utoipa::path(put, path = "/api/v1/callcentre/agents/{user}/status", tag = "call centre", security(("bearer" = [])),
    params(("user" = String, Path)), request_body = AgentStatusBody,
    responses((status = 204, description = "set; the desk was told"), (status = 403, description = "not a call-centre manager"),
        (status = 404, description = "not at a desk"), (status = 422, description = "a bad status or reason")))]
pub async fn set_agent_status(
    State(app): State<App>,
    AsCallCentreManager(_desk, manager): AsCallCentreManager,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<AgentStatusBody>,
) -> ApiResult<StatusCode> {
    let status = super::desk::status(body.status.trim(), body.reason)?;
    app.calls.set_agent_status(&manager, user_id(&raw)?, status).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MonitorBody {
    /// `listen` (hear both, heard by nobody), `whisper` (only the
    /// consultant hears you), `barge` (both hear you) or `take_over`
    /// (the consultant leaves, you talk on with the caller).
    pub mode: String,
}

/// What a supervisor asks of a call they listen to.
enum MonitorAction {
    Mode(MonitorMode),
    TakeOver,
}

fn monitor_action(text: &str) -> Result<MonitorAction, ValidationErrors> {
    match text.trim() {
        "listen" => Ok(MonitorAction::Mode(MonitorMode::Listen)),
        "whisper" => Ok(MonitorAction::Mode(MonitorMode::Whisper)),
        "barge" => Ok(MonitorAction::Mode(MonitorMode::Barge)),
        "take_over" => Ok(MonitorAction::TakeOver),
        other => Err(FieldError::new("mode", format!("{other:?} is no way to listen in: listen, whisper, barge or take_over")).into()),
    }
}

/// Listens in on a consultant's call from your own phone, a registered SIP
/// phone or your browser (班长监听), or changes how: whispering to the
/// consultant (耳语), barging in (强插), or taking the call over (接管:
/// once your phone is in the call, the consultant's is hung up and they
/// go on to after-call work; you end the call by leaving it). A SIP phone
/// is rung with auto-answer; each step is audited. Only real calls on the
/// SIP gateway.
#[utoipa::path(put, path = "/api/v1/callcentre/calls/{id}/monitor", tag = "call centre", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MonitorBody,
    responses((status = 204, description = "your phone is rung, the mode changed, or the call is yours"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "the call is not in conversation on the SIP lines"),
        (status = 409, body = ErrorBody, description = "you have no phone, your phone is not in the call yet (taking over), \
            the call was taken over by a supervisor, or the lines cannot monitor"),
        (status = 422, body = ErrorBody, description = "an unknown mode")))]
pub async fn monitor(
    State(app): State<App>,
    AsCallCentreManager(_desk, manager): AsCallCentreManager,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<MonitorBody>,
) -> ApiResult<StatusCode> {
    let (call, action) = (id("id", &raw)?, monitor_action(&body.mode)?);
    match action {
        MonitorAction::Mode(mode) => app.calls.monitor(&manager, call, Some(mode)).await?,
        MonitorAction::TakeOver => app.calls.take_over(&manager, call).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Stops listening in: your phone's leg is hung up, the call goes on. On
/// a call you took over, ends the call (the caller may rate it).
#[utoipa::path(delete, path = "/api/v1/callcentre/calls/{id}/monitor", tag = "call centre", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "left the call, or ended the call you took over"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "you are not listening to that call"),
        (status = 409, body = ErrorBody, description = "another supervisor took the call over")))]
pub async fn stop_monitor(
    State(app): State<App>,
    AsCallCentreManager(_desk, manager): AsCallCentreManager,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    app.calls.monitor(&manager, id("id", &raw)?, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MentorBody {
    /// The mentor's user id; null ends the pairing.
    #[schema(value_type = Option<String>)]
    pub mentor: Option<UserId>,
}

/// Pairs a new consultant with a mentor (老带新); `null` ends it.
#[utoipa::path(put, path = "/api/v1/consultants/{user}/mentor", tag = "call centre", security(("bearer" = [])), request_body = MentorBody,
    params(("user" = String, Path)), responses((status = 200, body = ConsultantDto)))]
pub async fn set_mentor(
    State(app): State<App>,
    AsCallCentreManager(_desk, manager): AsCallCentreManager,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<MentorBody>,
) -> Handled<ConsultantDto> {
    Ok(Json(app.calls.set_mentor(&manager, user_id(&raw)?, body.mentor).await?.into()))
}

/// The simulated call placed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SimulatedCallDto {
    /// The call's id, for hanging it up.
    pub call: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SimulatedCallBody {
    /// `general`, or a professional seat's number (e.g. 12333).
    pub queue: String,
    pub caller: String,
    /// The caller hangs up after waiting this long unanswered.
    pub patience_secs: Option<f64>,
    /// The caller hangs up after talking this long.
    pub talk_secs: Option<f64>,
}

fn seconds(field: &str, v: Option<f64>) -> Result<Option<std::time::Duration>, FieldError> {
    v.map(|s| {
        if s.is_finite() && (0.0..=86_400.0).contains(&s) {
            Ok(std::time::Duration::from_secs_f64(s))
        } else {
            Err(FieldError::new(field, "must be between 0 and 86400 seconds"))
        }
    })
    .transpose()
}

/// Places a simulated call (training, demonstrations, tests).
#[utoipa::path(post, path = "/api/v1/callcentre/simulator/calls", tag = "call centre", security(("bearer" = [])), request_body = SimulatedCallBody,
    responses((status = 201, body = SimulatedCallDto), (status = 422, description = "unknown queue")))]
pub async fn simulate_call(
    State(app): State<App>,
    AsCallCentreManager(_desk, _proof): AsCallCentreManager,
    JsonBody(body): JsonBody<SimulatedCallBody>,
) -> ApiResult<(StatusCode, Json<SimulatedCallDto>)> {
    let mut errors = ValidationErrors::default();
    let patience = errors.collect(seconds("patience_secs", body.patience_secs)).flatten();
    let talk = errors.collect(seconds("talk_secs", body.talk_secs)).flatten();
    if body.caller.trim().is_empty() || body.caller.chars().count() > 32 {
        errors.push(FieldError::new("caller", "give the calling number (at most 32 characters)"));
    }
    errors.into_result()?;
    let call = app.calls.simulator()?.place_call(body.queue.trim(), body.caller.trim(), CallerPlan { patience, talk }).await?;
    Ok((StatusCode::CREATED, Json(SimulatedCallDto { call: call.0.to_string() })))
}

/// The simulated caller hangs up.
#[utoipa::path(post, path = "/api/v1/callcentre/simulator/calls/{id}/hang-up", tag = "call centre", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "hung up"), (status = 404, description = "no such call")))]
pub async fn simulate_hang_up(State(app): State<App>, Caller(desk): Caller, Path(raw): Path<String>) -> ApiResult<StatusCode> {
    desk.call_centre_manager()?;
    app.calls.simulator()?.hang_up(CallId(id("id", &raw)? as u64)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LineBody {
    /// `answers`, `busy` or `no_answer`.
    #[schema(value_type = String, example = "busy")]
    pub behaviour: LineBehaviour,
}

/// How a simulated sub-centre line answers transfers: answers, busy or no_answer.
#[utoipa::path(put, path = "/api/v1/callcentre/simulator/lines/{number}", tag = "call centre", security(("bearer" = [])), request_body = LineBody,
    params(("number" = String, Path)), responses((status = 204, description = "set")))]
pub async fn simulate_line(
    State(app): State<App>,
    AsCallCentreManager(_desk, _proof): AsCallCentreManager,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<LineBody>,
) -> ApiResult<StatusCode> {
    app.calls.simulator()?.set_line(number.trim(), body.behaviour);
    Ok(StatusCode::NO_CONTENT)
}
