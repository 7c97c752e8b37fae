//! The consultant's desk over WebSocket (`GET /api/v1/desk`).
//!
//! The desk sends JSON commands, each answered by `{"type":"ack","of":…}`
//! or `{"type":"error","of":…,"code":…,"message":…}`:
//!
//! - `{"type":"status","status":"available"}` (also `on_break` with a
//!   `reason`, `in_training`, `logged_out`)
//! - `{"type":"accept","call":"…"}`, `{"type":"reject","call":"…"}`,
//!   `{"type":"hang_up","call":"…"}` (also a callback in progress, by the
//!   call it calls back)
//! - `{"type":"transfer","call":"…","to":"12366","mode":"blind"}` (also
//!   `attended`, `conference` for a three-way call)
//!
//! and receives the switchboard's events (`offered` with the caller's
//! `history`, `withdrawn`, `connected`, `ended`, `transfer_connected`,
//! `transfer_failed` with the advice to read out, `status`, `replaced`,
//! `calling_back`, `callback_connected`, `callback_ended`).
//! Closing the socket logs the agent out; a call in conversation is given
//! [`hotline_app::calls::DESK_GRACE`] (15 s) for the desk to come back (a reload, a network
//! change) before it is hung up on the consultant's side.

use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hotline_app::access::Seat;
use hotline_app::calls::{DeskEvent, agent_of};
use hotline_app::{App, AppError};
use hotline_callcentre::engine::{AgentStatus, CallId, Event, TransferMode};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum DeskCommand {
    Status {
        status: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Accept {
        call: String,
    },
    Reject {
        call: String,
    },
    HangUp {
        call: String,
    },
    Transfer {
        call: String,
        to: String,
        mode: TransferMode,
    },
}

impl DeskCommand {
    fn name(&self) -> &'static str {
        match self {
            Self::Status { .. } => "status",
            Self::Accept { .. } => "accept",
            Self::Reject { .. } => "reject",
            Self::HangUp { .. } => "hang_up",
            Self::Transfer { .. } => "transfer",
        }
    }
}

/// Opens the desk: only a consultant with a passed basic training. A plain
/// GET (not a WebSocket) only asks whether the desk would open, since a
/// browser never tells a page why a WebSocket was refused.
#[utoipa::path(get, path = "/api/v1/desk", tag = "call centre", security(("bearer" = [])),
    responses((status = 101, description = "WebSocket of the consultant's desk"),
        (status = 204, description = "A plain GET: the desk would open"),
        (status = 403, description = "Not a consultant, or no basic training recorded", body = ErrorBody)))]
pub async fn open(
    State(app): State<App>,
    Caller(desk): Caller,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let seat = desk.seat()?;
    let Ok(ws) = ws else {
        app.calls.desk_skills(&seat).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let link = app.calls.open_desk(&seat).await?;
    let hello = json!({
        "type": "hello",
        "agent": seat.user().to_string(),
        "skills": link.skills,
        "sub_centres": app.calls.sub_centres(),
        "emergency_numbers": app.calls.emergency_numbers(),
    });
    Ok(ws.on_upgrade(move |socket| run(app, seat, link, hello, socket)))
}

async fn run(app: App, seat: Seat, mut link: hotline_app::calls::DeskLink, hello: Value, mut socket: WebSocket) {
    if send(&mut socket, &hello).await.is_err() {
        app.calls.switchboard.logout(seat.user(), link.session);
        return;
    }
    loop {
        tokio::select! {
            event = link.events.recv() => {
                let Some(event) = event else { break };
                let replaced = event == DeskEvent::Replaced;
                let message = outgoing(&app, &seat, event).await;
                if send(&mut socket, &message).await.is_err() || replaced {
                    break;
                }
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let reply = answer(&app, &seat, text.as_str()).await;
                if send(&mut socket, &reply).await.is_err() {
                    break;
                }
            }
        }
    }
    app.calls.switchboard.logout(seat.user(), link.session);
}

async fn send(socket: &mut WebSocket, value: &Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(value.to_string().into())).await
}

/// An offer goes out with the caller's history (来电弹屏).
async fn outgoing(app: &App, seat: &Seat, event: DeskEvent) -> Value {
    let mut value = serde_json::to_value(&event).unwrap_or(Value::Null);
    if let DeskEvent::Offered { caller, .. } = &event {
        match app.calls.screen_pop(seat, caller).await {
            Ok(history) => value["history"] = serde_json::to_value(history).unwrap_or(Value::Null),
            Err(e) => tracing::warn!(error = %e, "the caller's history could not be read for the desk"),
        }
    }
    value
}

fn error_reply(of: &str, e: &AppError) -> Value {
    let (code, message) = match e {
        AppError::Invalid(errors) => ("invalid", errors.to_string()),
        AppError::NotFound(m) => ("not_found", m.clone()),
        AppError::Conflict { message, .. } => ("conflict", message.clone()),
        AppError::Forbidden(m) => ("forbidden", m.clone()),
        other => ("unavailable", other.to_string()),
    };
    json!({ "type": "error", "of": of, "code": code, "message": message })
}

fn call_id(raw: &str) -> Result<CallId, AppError> {
    raw.trim().parse::<u64>().map(CallId).map_err(|_| AppError::invalid("call", format!("{raw:?} is not a call id")))
}

/// A status as the desk and the managers' screen send it.
pub(crate) fn status(status: &str, reason: Option<String>) -> Result<AgentStatus, AppError> {
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if status == "on_break" && reason.as_ref().is_none_or(|r| r.chars().count() > 50) {
        return Err(AppError::invalid("reason", "a break needs a reason of at most 50 characters (午餐, 培训, 小休 …)"));
    }
    AgentStatus::from_parts(status, reason.as_deref())
        .ok_or_else(|| AppError::invalid("status", "must be available, on_break, in_training or logged_out"))
}

async fn answer(app: &App, seat: &Seat, text: &str) -> Value {
    let command: DeskCommand = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let message = format!("not a desk command: {e}; send e.g. {{\"type\":\"accept\",\"call\":\"…\"}}");
            return json!({ "type": "error", "of": Value::Null, "code": "invalid", "message": message });
        }
    };
    let of = command.name();
    let agent = agent_of(seat.user());
    let switchboard = &app.calls.switchboard;
    let result: Result<(), AppError> = async {
        match command {
            DeskCommand::Status { status: s, reason } => switchboard.event(Event::SetStatus { agent, status: status(&s, reason)? }).await,
            DeskCommand::Accept { call } => switchboard.event(Event::Answered { call: call_id(&call)?, agent }).await,
            DeskCommand::Reject { call } => switchboard.event(Event::Rejected { call: call_id(&call)?, agent }).await,
            DeskCommand::HangUp { call } => switchboard.hang_up(seat.user(), call_id(&call)?).await,
            DeskCommand::Transfer { call, to, mode } => app.calls.transfer(seat, call_id(&call)?, to.trim(), mode).await,
        }
    }
    .await;
    match result {
        Ok(()) => json!({ "type": "ack", "of": of }),
        Err(e) => error_reply(of, &e),
    }
}
